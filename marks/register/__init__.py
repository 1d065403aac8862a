"""The public register: finding accredited councils (search.py), for its pages, its open data
and the dashboard."""
