"""The question bank: editors draft, check and publish questionnaire versions."""
