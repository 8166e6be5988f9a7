"""Generators and critics, each registered by name so a YAML file only names one and its options."""
from wgan_repro.registry import Registry

GENERATORS = Registry("model")
CRITICS = Registry("critic")

from wgan_repro.models import autoencoder, began, dcgan, mlp  # noqa: E402,F401  (registers the constructors)


def build_generator(options, data_shape):
    """The generator named by the `model` config section, for samples of `data_shape`."""
    return GENERATORS.build(options, context={"data_shape": tuple(data_shape)}, section="model")


def build_critic(options, data_shape):
    """The critic named by the `critic` config section, taking samples of `data_shape`."""
    return CRITICS.build(options, context={"data_shape": tuple(data_shape)}, section="critic")
