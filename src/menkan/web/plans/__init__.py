"""Study plans (Look Ahead): a student's planned courses in future terms, kept apart from the records."""
