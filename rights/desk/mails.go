package desk

import (
	"fmt"
	"time"

	"steward/account"
	"steward/mail"
	"steward/rights"
)

// The mails a request sends. They are bilingual, Dutch first, since the
// person may have written in either language; they name the request by its
// type and date of receipt, never by anything else about the person.

func verifyMail(a *account.Account, r *rights.Request, link string) mail.Message {
	return mail.Message{
		Kind: KindRequestVerify, SubjectID: a.ID, To: a.Email,
		Subject: "Bevestig je verzoek / Confirm your request",
		Text: fmt.Sprintf(`Je hebt ons op %[1]s een verzoek gestuurd (%[2]s) over je persoonsgegevens.
Om zeker te weten dat het verzoek van jou komt, vragen we je deze link te openen
en het verzoek te bevestigen. De link werkt %[3]d dagen en één keer:

%[4]s

Heb je geen verzoek gedaan? Dan kun je dit bericht negeren.

--

On %[1]s you sent us a request (%[2]s) about your personal data. To make sure
it comes from you, please open this link and confirm the request. The link
works once and for %[3]d days:

%[4]s

If you did not make a request, you can ignore this message.
`, r.ReceivedOn.Format(time.DateOnly), r.Type, int(rights.VerifyLinkLifetime.Hours()/24), link),
	}
}

func extensionMail(a *account.Account, r *rights.Request, deadline time.Time) mail.Message {
	return mail.Message{
		Kind: mail.KindRequestUpdate, SubjectID: a.ID, To: a.Email,
		Subject: "Je verzoek duurt langer / Your request takes longer",
		Text: fmt.Sprintf(`Je verzoek van %[1]s (%[2]s) vraagt meer tijd dan één maand.
We beantwoorden het uiterlijk op %[3]s. De reden:

%[4]s

Dit mag volgens artikel 12, lid 3 AVG bij complexe of veel verzoeken met ten
hoogste twee maanden. Ben je het hier niet mee eens, dan kun je een klacht
indienen bij de Autoriteit Persoonsgegevens.

--

Your request of %[1]s (%[2]s) needs more time than one month. We will answer
it by %[3]s at the latest. The reason:

%[4]s

Article 12(3) GDPR allows this extension of at most two months for complex or
numerous requests. If you disagree, you may complain to the Dutch Data
Protection Authority (Autoriteit Persoonsgegevens).
`, r.ReceivedOn.Format(time.DateOnly), r.Type, deadline.Format(time.DateOnly), r.ExtensionReason),
	}
}
