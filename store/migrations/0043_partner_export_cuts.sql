-- Partner exports by Mondrian partitioning (issue 19): the algorithm that
-- made the export, and the partition's cuts (JSON: the quasi-identifiers,
-- the order of a categorical one's values, and the tree of cuts in
-- preorder). The next export on the same quasi-identifiers routes its rows
-- through these cuts and only refines them, so every earlier class stays a
-- union of new ones (docs/anonymisation.md). A class in
-- partner_export_classes is then keyed by its place in the tree ("p:" and
-- the path) or, for statistics rows, by their values ("s:"), followed by
-- the values it showed. No person's value: the cuts are boundaries between
-- classes of at least k people.
ALTER TABLE partner_exports ADD COLUMN algorithm TEXT NOT NULL DEFAULT '';
ALTER TABLE partner_exports ADD COLUMN cuts TEXT NOT NULL DEFAULT '';
