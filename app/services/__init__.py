"""Domain services: they flush, never commit; `app.services.transactions` owns commits."""
