"""wgan_repro: reproduce and measure the WGAN papers' comparisons."""
__version__ = "0.1.0"
