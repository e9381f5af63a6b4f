from .helpers import load_rides as load


def fetch_weather(context):
    pass


class Digest:
    pass
