"""Bad input to the NumPy convolution gets a ValueError that names the problem."""

from __future__ import annotations

import numpy as np
import pytest

from telecnn.errors import TelecnnError
from telecnn.kernels import conv1d, conv2d, output_size

TRACE = np.zeros((2, 20))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: conv1d(TRACE, np.zeros((4, 3, 3))), "expects 3 input channels .* has 2"),
        (lambda: conv2d(np.zeros((3, 8, 8)), np.zeros((2, 1, 3, 3))), "expects 1 input channels"),
        (lambda: conv1d(np.zeros(5), np.zeros(7)), "kernel of size 7 is larger than the padded"),
        (lambda: conv1d(np.zeros(5), np.zeros(3), dilation=3), "size 7 \\(kernel 3 with dilation"),
        (
            lambda: conv2d(np.zeros((4, 9)), np.zeros((3, 3)), padding=(0, 1), dilation=(2, 1)),
            "larger than the padded input of size 4",
        ),
        (lambda: conv1d(TRACE, np.zeros((1, 2, 3)), stride=0), "stride must be at least 1"),
        (
            lambda: conv2d(np.zeros((5, 5)), np.zeros((3, 3)), dilation=(1, 0)),
            "dilation must be at least 1",
        ),
        (lambda: conv1d(TRACE, np.zeros((1, 2, 3)), padding=-1), "padding must be at least 0"),
        (
            lambda: conv1d(TRACE, np.zeros((1, 2, 3)), padding="same", stride=2),
            "padding='same' needs stride 1",
        ),
        (lambda: conv2d(np.zeros((5, 5)), np.zeros((3, 3)), padding="full"), "unknown padding"),
        (
            lambda: conv2d(np.zeros((5, 5)), np.zeros((3, 3)), stride=(1, 2, 3)),
            "stride must be an int or 2 ints",
        ),
        (lambda: conv1d(TRACE, np.zeros((3, 1, 3)), groups=2), "groups=2 must divide"),
        (lambda: conv1d(TRACE, np.zeros((1, 2, 3)), bias=np.zeros(2)), "bias must have shape"),
        (lambda: conv1d(np.zeros((2, 3, 20)), np.zeros(3)), "input must have 1 or 2 axes"),
        (lambda: conv2d(np.zeros((5, 5)), np.zeros((1, 3, 3))), "weight must have 2 or 4 axes"),
        (lambda: conv1d(np.array(["a", "b", "c"]), np.zeros(3)), "input must be numeric"),
        (lambda: conv1d(np.zeros(5), np.zeros(0)), "kernel is empty"),
        (lambda: output_size(4, 5), "larger than the input of size 4"),
        (lambda: output_size(8, 3, "same", stride=2), "needs stride 1"),
    ],
)
def test_bad_input_raises_a_clear_value_error(call, message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        call()
    assert isinstance(caught.value, TelecnnError)
    assert "\n" not in str(caught.value)
