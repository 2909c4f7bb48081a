"""Media: the trainer's library, the files it serves, and learners' pictures kept with their replies."""
