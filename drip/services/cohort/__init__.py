"""The cohort page: personal links, what a learner sees there, posts and votes from it."""
