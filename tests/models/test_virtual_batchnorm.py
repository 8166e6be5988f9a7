"""Virtual batch normalization: a sample's output depends on the fixed reference batch and on
itself, not on the rest of its batch; the reference is part of the state dict."""
import torch

from wgan_repro.models import build_generator
from wgan_repro.presets import preset


def _generator(vbn: bool, seed: int = 0):
    torch.manual_seed(seed)
    return build_generator({**preset("model", "dcgan"), "nz": 16, "ngf": 8, "vbn": vbn}, (1, 32, 32)).train()


def test_with_vbn_a_sample_no_longer_depends_on_the_rest_of_its_batch():
    z = torch.randn(8, 16)
    plain = _generator(False)
    assert not torch.allclose(plain(z[:1]), plain(z)[:1], atol=1e-4)        # BatchNorm: it does
    virtual = _generator(True)
    assert torch.allclose(virtual(z[:1]), virtual(z)[:1], atol=1e-5)
    other = torch.cat([z[:1], torch.randn(7, 16) * 3])                      # the same first sample, another rest
    assert torch.allclose(virtual(other)[:1], virtual(z)[:1], atol=1e-5)
    assert not torch.allclose(plain(other)[:1], plain(z)[:1], atol=1e-4)


def test_the_reference_batch_is_fixed_in_the_state_dict_and_decides_the_output():
    a, b = _generator(True, seed=0), _generator(True, seed=1)
    assert "reference_noise" in a.state_dict()
    b.load_state_dict(a.state_dict())
    z = torch.randn(4, 16)
    assert torch.equal(a(z), b(z))
    with torch.no_grad():
        b.reference_noise.normal_()
    assert not torch.allclose(a(z), b(z), atol=1e-4)
