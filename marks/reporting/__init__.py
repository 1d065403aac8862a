"""How the scheme is doing: the dashboard's figures and the administrators' exports."""
