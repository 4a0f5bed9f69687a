""" "I have neither": the employee's supervisor, found through a user attribute, and a notice asking for help."""
