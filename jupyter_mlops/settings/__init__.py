"""The settings table, its validation rules, and settings as forms see them."""
