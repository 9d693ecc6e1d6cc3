package booking_test

import (
	"testing"

	"github.com/kapbook/kapbook/booking"
)

func TestRevealsTreatment(t *testing.T) {
	reveal := []string{
		// English
		"Ketamine Clinic", "KAP session", "Dosing day", "your infusion", "PTSD care", "Anxiety centre",
		// Spanish
		"Clínica Ketamina", "sesión de dosis", "Infusión", "Terapia psicodélica", "psicoterapia", "depresión", "TEPT", "ansiedad", "adicción", "suicidio",
		// German
		"Ketamin-Praxis", "Dosierung", "Psychotherapie", "Depressionen", "PTBS", "Angststörung", "Suchtberatung", "Zwangsstörung", "Suizid",
		// French
		"Clinique Kétamine", "séance de perfusion", "Psychédélique", "psychothérapie", "dépression", "anxiété", "bipolaire", "ESPT",
		// Portuguese
		"Clínica de Cetamina", "infusão", "depressão", "ansiedade", "dosagem", "transtorno obsessivo-compulsivo",
		// the brand
		"SPRAVATO",
	}
	for _, s := range reveal {
		if !booking.RevealsTreatment(s) {
			t.Errorf("RevealsTreatment(%q) = false, want true", s)
		}
	}
	neutral := []string{
		"Harbor Wellness", "Riverside Health", "Clínica Norte", "Praxis am See", "Ihr Termin wurde besucht",
		"Venha depressa", "Rendez-vous confirmé", "Cita confirmada", "Consulta de acompanhamento",
		"Dr. Maya Patel", "123 Main St, Suite 4", "https://meet.example.org/room-12",
	}
	for _, s := range neutral {
		if booking.RevealsTreatment(s) {
			t.Errorf("RevealsTreatment(%q) = true, want false (a common word)", s)
		}
	}
}

func TestRevealingWord(t *testing.T) {
	for in, want := range map[string]string{
		"Clínica Ketamina Norte":            "Ketamina",
		"Zentrum für Psychotherapie":        "Psychotherapie",
		"Clínica da Depressão, Rua 5":       "Depressão",
		"https://meet.example.org/kap-room": "kap-room",
	} {
		if got := booking.RevealingWord(in); got != want {
			t.Errorf("RevealingWord(%q) = %q, want %q", in, got, want)
		}
	}
}
