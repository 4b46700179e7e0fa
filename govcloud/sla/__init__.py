"""Did the provider deliver over time? Availability by calendar month, annex 3 events, response times and
termination triggers, from monitoring read over Prometheus's HTTP API and the incident records (articles
6, 9, 10, 53-54, 60-61; annex 3)."""
