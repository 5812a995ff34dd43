"""The numeric core: numpy/scipy/pandas only, no Django, DRF, django_q or bokeh."""
