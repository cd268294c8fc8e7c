// Package sample generates a catalogue of functies and opleidingen in
// Dutch care for Zorginspirator (issue 18): the sample file a fresh site
// imports (policies/content/zorginspirator-catalogue.json, written by
// ./generate) and the large catalogues the benchmarks search. The texts are
// written for this project from a few building blocks; the same seed
// always gives the same catalogue.
package sample

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"steward/catalogue"
)

type role struct {
	title   string
	sectors []string
	levels  []string
	task    string
}

var jobs = []role{
	{"Verpleegkundige", []string{"ziekenhuis", "ouderenzorg", "ggz", "wijkzorg"}, []string{"mbo4", "hbo"}, "verpleeg je patiënten, observeer je hun gezondheid en overleg je met artsen en collega's"},
	{"Verzorgende IG", []string{"ouderenzorg", "wijkzorg", "gehandicaptenzorg"}, []string{"mbo3"}, "help je cliënten bij de dagelijkse verzorging en voer je verpleegtechnische handelingen uit"},
	{"Helpende zorg en welzijn", []string{"ouderenzorg", "gehandicaptenzorg"}, []string{"mbo2"}, "ondersteun je bewoners bij wassen, aankleden en eten en zorg je voor een huiselijke sfeer"},
	{"Zorgassistent", []string{"ouderenzorg", "ziekenhuis"}, []string{"mbo2"}, "assisteer je bij de zorg, help je bij de maaltijden en houd je de afdeling op orde"},
	{"Begeleider gehandicaptenzorg", []string{"gehandicaptenzorg"}, []string{"mbo3", "mbo4"}, "begeleid je mensen met een verstandelijke beperking bij wonen, werk en vrije tijd"},
	{"Persoonlijk begeleider", []string{"gehandicaptenzorg", "ggz"}, []string{"mbo4", "hbo"}, "stel je samen met cliënten een ondersteuningsplan op en houd je contact met hun netwerk"},
	{"Sociotherapeut", []string{"ggz"}, []string{"hbo"}, "begeleid je groepen cliënten in een therapeutisch leefklimaat"},
	{"GZ-psycholoog", []string{"ggz"}, []string{"wo"}, "stel je diagnoses, behandel je cliënten met angst- en stemmingsklachten en adviseer je het team"},
	{"Jeugdzorgwerker", []string{"jeugdzorg"}, []string{"hbo"}, "begeleid je kinderen en jongeren en hun ouders in moeilijke situaties thuis of in een leefgroep"},
	{"Pedagogisch medewerker jeugdzorg", []string{"jeugdzorg"}, []string{"mbo4"}, "bied je jongeren structuur en veiligheid in een woongroep"},
	{"Doktersassistent", []string{"huisartsenzorg"}, []string{"mbo4"}, "sta je patiënten te woord, maak je afspraken en voer je kleine medische handelingen uit"},
	{"Praktijkondersteuner huisarts", []string{"huisartsenzorg"}, []string{"hbo"}, "houd je spreekuur voor mensen met diabetes, astma of hart- en vaatziekten"},
	{"Kraamverzorgende", []string{"kraamzorg"}, []string{"mbo3"}, "verzorg je moeder en baby in de eerste dagen na de bevalling en geef je voorlichting"},
	{"Apothekersassistent", []string{"apotheek"}, []string{"mbo4"}, "bereid en controleer je medicijnen en geef je patiënten uitleg over het gebruik"},
	{"Farmaceutisch consulent", []string{"apotheek"}, []string{"hbo"}, "adviseer je patiënten en voorschrijvers over medicatieveiligheid"},
	{"Operatieassistent", []string{"ziekenhuis"}, []string{"hbo"}, "bereid je operaties voor en assisteer je de chirurg aan de operatietafel"},
	{"Anesthesiemedewerker", []string{"ziekenhuis"}, []string{"hbo"}, "bewaak je de patiënt tijdens de narcose samen met de anesthesioloog"},
	{"Fysiotherapeut", []string{"ziekenhuis", "ouderenzorg", "gehandicaptenzorg"}, []string{"hbo"}, "behandel je mensen met klachten aan het bewegingsapparaat en help je hen weer in beweging"},
	{"Ergotherapeut", []string{"ouderenzorg", "ggz", "wijkzorg"}, []string{"hbo"}, "zoek je met cliënten naar manieren om dagelijkse handelingen zelfstandig te blijven doen"},
	{"Wijkverpleegkundige", []string{"wijkzorg"}, []string{"hbo"}, "indiceer en verleen je zorg bij mensen thuis en werk je samen met de huisarts"},
	{"Intensive care verpleegkundige", []string{"ziekenhuis"}, []string{"hbo"}, "verpleeg je ernstig zieke patiënten op de intensive care"},
	{"Activiteitenbegeleider", []string{"ouderenzorg", "gehandicaptenzorg"}, []string{"mbo4"}, "organiseer je activiteiten die aansluiten bij de wensen en mogelijkheden van bewoners"},
	{"Teamleider zorg", []string{"ziekenhuis", "ouderenzorg", "gehandicaptenzorg", "ggz"}, []string{"hbo"}, "geef je leiding aan een zorgteam en verbeter je samen de kwaliteit van zorg"},
	{"Verpleegkundig specialist", []string{"ziekenhuis", "ggz"}, []string{"wo"}, "neem je medische taken over, stel je behandelplannen op en begeleid je patiënten"},
	{"Specialist ouderengeneeskunde", []string{"ouderenzorg"}, []string{"wo"}, "ben je behandelaar van kwetsbare ouderen in het verpleeghuis en in de wijk"},
	{"Diëtist", []string{"ziekenhuis", "ouderenzorg", "huisartsenzorg"}, []string{"hbo"}, "geef je voedingsadvies en stel je diëten op voor mensen met een ziekte"},
	{"Logopedist", []string{"ziekenhuis", "gehandicaptenzorg", "jeugdzorg"}, []string{"hbo"}, "behandel je problemen met spraak, taal, stem en slikken"},
	{"Ambulanceverpleegkundige", []string{"ziekenhuis"}, []string{"hbo"}, "geef je spoedeisende zorg op straat en tijdens het vervoer naar het ziekenhuis"},
	{"Medewerker thuiszorg", []string{"wijkzorg"}, []string{"mbo2", "mbo3"}, "help je mensen thuis met persoonlijke verzorging zodat zij langer zelfstandig wonen"},
	{"Woonbegeleider ggz", []string{"ggz"}, []string{"mbo4"}, "ondersteun je cliënten die beschermd wonen bij hun herstel en dagelijks leven"},
}

var courses = []role{
	{"Verzorgende IG", []string{"ouderenzorg", "wijkzorg"}, []string{"mbo3"}, "leer je cliënten verzorgen en verpleegtechnische handelingen uitvoeren"},
	{"Mbo-Verpleegkundige", []string{"ziekenhuis", "ouderenzorg", "ggz"}, []string{"mbo4"}, "leer je verplegen in het ziekenhuis, de ouderenzorg en de ggz"},
	{"Hbo-Verpleegkunde", []string{"ziekenhuis", "wijkzorg", "ggz"}, []string{"hbo"}, "word je verpleegkundige op hbo-niveau met aandacht voor regie en coördinatie van zorg"},
	{"Helpende Zorg en Welzijn", []string{"ouderenzorg", "gehandicaptenzorg"}, []string{"mbo2"}, "leer je bewoners ondersteunen bij de dagelijkse verzorging"},
	{"Begeleider gehandicaptenzorg", []string{"gehandicaptenzorg"}, []string{"mbo3", "mbo4"}, "leer je mensen met een beperking begeleiden bij wonen en werken"},
	{"Doktersassistent", []string{"huisartsenzorg"}, []string{"mbo4"}, "leer je de huisartsenpraktijk draaiende houden en kleine medische handelingen uitvoeren"},
	{"Apothekersassistent", []string{"apotheek"}, []string{"mbo4"}, "leer je medicijnen bereiden en patiënten voorlichten"},
	{"Kraamverzorgende", []string{"kraamzorg"}, []string{"mbo3"}, "leer je moeder en kind verzorgen in de kraamweek"},
	{"Operatieassistent", []string{"ziekenhuis"}, []string{"hbo"}, "leer je operaties voorbereiden en assisteren in de operatiekamer"},
	{"Anesthesiemedewerker", []string{"ziekenhuis"}, []string{"hbo"}, "leer je patiënten bewaken tijdens de narcose"},
	{"Fysiotherapie", []string{"ziekenhuis", "ouderenzorg"}, []string{"hbo"}, "leer je bewegingsklachten onderzoeken en behandelen"},
	{"Ergotherapie", []string{"ouderenzorg", "wijkzorg"}, []string{"hbo"}, "leer je mensen helpen zelfstandig te blijven functioneren"},
	{"Social Work, specialisatie jeugd", []string{"jeugdzorg"}, []string{"hbo"}, "leer je kinderen, jongeren en gezinnen begeleiden"},
	{"Toegepaste Psychologie", []string{"ggz", "jeugdzorg"}, []string{"hbo"}, "leer je psychologische kennis toepassen in de praktijk van zorg en welzijn"},
	{"Geneeskunde", []string{"ziekenhuis", "huisartsenzorg"}, []string{"wo"}, "word je arts en leer je diagnoses stellen en behandelen"},
	{"Gezondheidswetenschappen", []string{"ziekenhuis", "ouderenzorg"}, []string{"wo"}, "onderzoek je hoe zorg beter en betaalbaarder kan"},
	{"Wijkverpleegkunde (post-hbo)", []string{"wijkzorg"}, []string{"hbo"}, "leer je zorg indiceren en organiseren bij mensen thuis"},
	{"Intensive care verpleegkundige (vervolgopleiding)", []string{"ziekenhuis"}, []string{"hbo"}, "specialiseer je je in de zorg voor ernstig zieke patiënten"},
	{"Cursus omgaan met dementie", []string{"ouderenzorg", "wijkzorg"}, []string{"mbo3", "mbo4"}, "leer je gedrag bij dementie begrijpen en bewoners rust geven"},
	{"Cursus palliatieve zorg", []string{"ouderenzorg", "wijkzorg", "ziekenhuis"}, []string{"mbo3", "mbo4", "hbo"}, "leer je mensen in hun laatste levensfase en hun naasten ondersteunen"},
	{"Cursus medicatieveiligheid", []string{"ouderenzorg", "gehandicaptenzorg", "apotheek"}, []string{"mbo3", "mbo4"}, "leer je medicijnen veilig aanreiken en fouten melden"},
	{"Cursus voorbehouden handelingen", []string{"ouderenzorg", "wijkzorg"}, []string{"mbo3", "mbo4"}, "oefen je injecteren, katheteriseren en wondzorg volgens de protocollen"},
	{"Cursus agressie hanteren", []string{"ggz", "jeugdzorg", "gehandicaptenzorg"}, []string{"mbo3", "mbo4", "hbo"}, "leer je spanning herkennen en de-escaleren"},
	{"Praktijkondersteuner huisarts (opleiding)", []string{"huisartsenzorg"}, []string{"hbo"}, "leer je spreekuur houden voor chronisch zieke patiënten"},
	{"Zij-instroom in de zorg", []string{"ouderenzorg", "gehandicaptenzorg", "ziekenhuis"}, []string{"mbo2", "mbo3"}, "stap je vanuit een ander vak over naar de zorg, met een baan en begeleiding erbij"},
}

// jobSpecs are where in a sector a job is.
var jobSpecs = map[string][]string{
	"ziekenhuis":        {"", "kinderafdeling", "spoedeisende hulp", "nachtdienst", "flexpool", "cardiologie"},
	"ouderenzorg":       {"", "dementiezorg", "revalidatie", "avonddienst", "kortdurende opname"},
	"gehandicaptenzorg": {"", "woongroep", "dagbesteding", "nachtdienst"},
	"ggz":               {"", "acute psychiatrie", "beschermd wonen", "ambulant team"},
	"jeugdzorg":         {"", "leefgroep", "ambulant team", "gezinshuis"},
	"wijkzorg":          {"", "wijkteam", "avonddienst", "nachtzorg"},
	"huisartsenzorg":    {"", "dagpraktijk", "huisartsenpost"},
	"kraamzorg":         {"", "oproepbasis", "vast team"},
	"apotheek":          {"", "dienstapotheek", "bereidingen"},
}

var courseForms = []string{"voltijd", "deeltijd", "bbl, werken en leren", "online met praktijkdagen", "avondopleiding"}

var places = map[string][]string{
	"groningen":     {"Groningen", "Delfzijl", "Winschoten"},
	"friesland":     {"Leeuwarden", "Sneek", "Heerenveen"},
	"drenthe":       {"Assen", "Emmen", "Hoogeveen"},
	"overijssel":    {"Zwolle", "Enschede", "Deventer"},
	"flevoland":     {"Almere", "Lelystad", "Emmeloord"},
	"gelderland":    {"Arnhem", "Nijmegen", "Apeldoorn"},
	"utrecht":       {"Utrecht", "Amersfoort", "Zeist"},
	"noord_holland": {"Amsterdam", "Haarlem", "Alkmaar"},
	"zuid_holland":  {"Rotterdam", "Den Haag", "Leiden"},
	"zeeland":       {"Middelburg", "Goes", "Vlissingen"},
	"noord_brabant": {"Eindhoven", "Tilburg", "Breda"},
	"limburg":       {"Maastricht", "Venlo", "Heerlen"},
}

var employers = map[string]string{
	"ziekenhuis":        "een algemeen ziekenhuis",
	"ouderenzorg":       "een woonzorgcentrum",
	"gehandicaptenzorg": "een zorgorganisatie voor mensen met een beperking",
	"ggz":               "een ggz-instelling",
	"jeugdzorg":         "een jeugdzorgorganisatie",
	"wijkzorg":          "een thuiszorgorganisatie",
	"huisartsenzorg":    "een huisartsenpraktijk",
	"kraamzorg":         "een kraamzorgorganisatie",
	"apotheek":          "een openbare apotheek",
}

var schools = map[string]string{
	"mbo2": "een roc", "mbo3": "een roc", "mbo4": "een roc",
	"hbo": "een hogeschool", "wo": "een universiteit",
}

var closings = []string{
	"Je krijgt een inwerkprogramma en een vaste collega als maatje.",
	"Er is ruimte voor scholing en voor je eigen ideeën.",
	"Je werkt in een klein team dat elkaar goed kent.",
	"Reiskosten worden vergoed en je kunt gebruikmaken van een fietsplan.",
	"Je rooster maak je mee in overleg met je team.",
	"Na een proefperiode is een vast contract mogelijk.",
}

var courseClosings = []string{
	"Je leert op school en in de praktijk bij een zorgorganisatie.",
	"Veel werkgevers vergoeden de opleiding geheel of gedeeltelijk.",
	"Je sluit af met een erkend diploma of certificaat.",
	"Er zijn meerdere startmomenten per jaar.",
	"Je krijgt een vaste studiebegeleider.",
}

// Generate returns jobs functies and courses opleidingen from seed.
func Generate(nJobs, nCourses int, seed uint64) []catalogue.FileItem {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	out := make([]catalogue.FileItem, 0, nJobs+nCourses)
	for i := 1; i <= nJobs; i++ {
		ro := jobs[r.IntN(len(jobs))]
		sector := ro.sectors[r.IntN(len(ro.sectors))]
		level := ro.levels[r.IntN(len(ro.levels))]
		region := catalogue.Regions[r.IntN(len(catalogue.Regions))]
		city := places[region][r.IntN(3)]
		spec := jobSpecs[sector][r.IntN(len(jobSpecs[sector]))]
		title := ro.title
		if spec != "" {
			title += " " + spec
		}
		title += " in " + city
		hours := 16 + 4*r.IntN(6)
		desc := fmt.Sprintf("Als %s bij %s in %s %s. Je werkt %d uur per week. %s",
			strings.ToLower(ro.title[:1])+ro.title[1:], employers[sector], city, ro.task, hours, closings[r.IntN(len(closings))])
		if ro.title == "GZ-psycholoog" {
			desc = fmt.Sprintf("Als GZ-psycholoog bij %s in %s %s. Je werkt %d uur per week. %s", employers[sector], city, ro.task, hours, closings[r.IntN(len(closings))])
		}
		out = append(out, catalogue.FileItem{ID: fmt.Sprintf("F-%05d", i), Kind: string(catalogue.Job), Title: title, Description: desc,
			Sector: sector, Level: level, Region: region, Hours: hours})
	}
	for i := 1; i <= nCourses; i++ {
		ro := courses[r.IntN(len(courses))]
		sector := ro.sectors[r.IntN(len(ro.sectors))]
		level := ro.levels[r.IntN(len(ro.levels))]
		region := catalogue.Regions[r.IntN(len(catalogue.Regions))]
		city := places[region][r.IntN(3)]
		form := courseForms[r.IntN(len(courseForms))]
		hours := 4 + 4*r.IntN(9)
		title := fmt.Sprintf("%s (%s) in %s", ro.title, form, city)
		desc := fmt.Sprintf("In deze opleiding bij %s in %s %s. De studiebelasting is ongeveer %d uur per week. %s",
			schools[level], city, ro.task, hours, courseClosings[r.IntN(len(courseClosings))])
		out = append(out, catalogue.FileItem{ID: fmt.Sprintf("O-%05d", i), Kind: string(catalogue.Course), Title: title, Description: desc,
			Sector: sector, Level: level, Region: region, Hours: hours})
	}
	return out
}
