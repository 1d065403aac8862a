from marks import create_app

app = create_app()
