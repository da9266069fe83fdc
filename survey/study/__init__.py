"""The study page (应知应会): what every resident should know, from the current questionnaire."""
