"""The web surface: a JSON/SSE chat API for the site widget, feedback, health and the widget's assets."""
