import pytest

from tests import factories
from tests.uptake.helpers import People, make_world


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def people():
    return People()


@pytest.fixture
def cycles():
    return factories.cycle_2015_16(), factories.cycle_2016_17()


@pytest.fixture
def national():
    return factories.national_admin()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
