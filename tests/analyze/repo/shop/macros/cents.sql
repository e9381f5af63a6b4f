{% macro cents_to_euros(col) %} ({{ col }} / 100.0) {% endmacro %}
