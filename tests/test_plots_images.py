"""plots for images and sequences: kernels, feature maps, an RNN unrolled with its gradient per time step."""
import pytest

matplotlib = pytest.importorskip('matplotlib')
matplotlib.use('Agg')

from micrograd_plus import plots  # noqa: E402
from micrograd_plus.nn import Conv2d  # noqa: E402


def test_kernels_draws_each_kernel_as_an_image_centred_on_zero():
    conv = Conv2d(2, 3, 3, rng=0)
    axes = plots.kernels(conv)
    assert len(axes) == 6 and [ax.get_title() for ax in axes[:2]] == ['weight.0.0', 'weight.0.1']
    picture = axes[0].get_images()[0]
    low, high = picture.get_clim()
    assert low == -high and high == max(abs(w.data) for row in conv.weight[0][0] for w in row)
    assert picture.get_array().tolist() == [[w.data for w in row] for row in conv.weight[0][0]]


def test_feature_maps_draws_one_image_per_channel():
    maps = Conv2d(1, 4, 3, rng=0)([[[float(i * j % 3) for j in range(8)] for i in range(8)]])
    axes = plots.feature_maps(maps)
    assert [ax.get_title() for ax in axes] == [f'channel {c}' for c in range(4)]
    assert axes[2].get_images()[0].get_array().shape == (6, 6)


def test_unrolled_draws_a_box_and_a_bar_per_time_step_taller_for_larger_norms():
    ax = plots.unrolled([1e-6, 1e-3, 1.0])
    bars = [patch for patch in ax.patches if patch.get_facecolor()[:3] == matplotlib.colors.to_rgb('#d95f02')]
    assert len(bars) == 3 and abs(bars[0].get_height()) < abs(bars[1].get_height()) < abs(bars[2].get_height())
    assert [t.get_text() for t in ax.texts if t.get_text().startswith('h')] == ['h0', 'h1', 'h2']


@pytest.mark.parametrize('call, error, message', [
    (lambda: plots.kernels('conv'), TypeError, 'takes a Conv2d'),
    (lambda: plots.image_grid([[[1.0, 2.0], [1.0]]]), ValueError, 'rows of the same length'),
    (lambda: plots.image_grid([[[1.0]]], titles=['a', 'b']), ValueError, '1 images but 2 titles'),
    (lambda: plots.unrolled([]), ValueError, 'at least one time step'),
    (lambda: plots.unrolled([1.0, -1.0]), ValueError, 'must be >= 0'),
])
def test_bad_input_is_refused_with_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
