"""People and councils: accounts, signing in safely, the scheme's staff, councils and their
imports, personal data."""
