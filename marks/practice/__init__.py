"""The library of good practice: answers of awarded councils, offered by their leads, reviewed
by administrators, public once published (examples.py: offering and the transitions;
library.py: what the public pages read)."""
