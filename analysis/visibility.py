"""What the submitter of a run may use: validators read the catalogue through these.

``analysis.runners.validate_params`` sets the current submitter; outside validation it is
nobody in particular, who sees published objects only.
"""

from django.db.models import QuerySet

from analysis.models import AnalysisRun
from analysis.runners import current_submitter
from analysis.selectors import run_list_visible
from catalog.models import Dataset
from catalog.selectors import dataset_list
from signatures.models import Signature, SignatureLibrary
from signatures.selectors import library_list, signature_list


def visible_libraries() -> QuerySet[SignatureLibrary]:
    return library_list(user=current_submitter().user)


def visible_signatures() -> QuerySet[Signature]:
    return signature_list(user=current_submitter().user)


def visible_datasets() -> QuerySet[Dataset]:
    return dataset_list(user=current_submitter().user)


def visible_runs() -> QuerySet[AnalysisRun]:
    submitter = current_submitter()
    return run_list_visible(user=submitter.user, session_runs=list(submitter.session_runs))
