import dagster as dg

def broken(:
    return dg
