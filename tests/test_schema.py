"""The OpenAPI schema validates with no warning, and its interactive page needs no CDN."""

import pytest
import yaml
from django.core.management import call_command


def test_the_openapi_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(target), "--validate", "--fail-on-warn")
    schema = yaml.safe_load(target.read_text())
    assert "/api/v1/datasets/{accession}/" in schema["paths"]
    assert "/api/v1/signatures/{accession}/" in schema["paths"]


@pytest.mark.django_db
def test_the_interactive_api_page_loads_its_assets_from_this_server(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower()
    assert "/static/drf_spectacular_sidecar/" in html
