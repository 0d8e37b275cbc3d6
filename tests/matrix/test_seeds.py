"""The committed seeds are the source documents, byte for byte."""

import hashlib

from tests.matrix.factories import SMM, SPMM

# SHA-256 of the source documents: 003_8bbddd74825a08c2.txt (the Strategic Performance Maturity
# Matrix) and 000_260a9f15e870f14a.txt (the System Maturity Model table).
SPMM_SOURCE_SHA256 = "e7772d86131c7af9a81b8a05bbc885ec560fce049152a36dc50589a67a6411ac"
SMM_SOURCE_SHA256 = "76d6d7e47981b3031e4b455a98307c023caa4462a2650eb6fa47339f7fbc9d8d"


def test_spmm_seed_is_the_source_byte_for_byte():
    assert hashlib.sha256(SPMM.read_bytes()).hexdigest() == SPMM_SOURCE_SHA256


def test_system_maturity_model_seed_is_the_source_table_byte_for_byte():
    assert hashlib.sha256(SMM.read_bytes()).hexdigest() == SMM_SOURCE_SHA256
