"""xnwl: the monthly content pipeline of 咸宁市文化和旅游局's publicity office."""

__version__ = "0.1.0"
