"""Records: institutions and their units, classes, students and what they did (courses, activities, certificates)."""
