"""Frames: where cameras look (samplers), what they see (annotations), and the cached frame bank."""

from .annotate import FrameAnnotator, ObjectAnnotation, loose_box, mask_box, projected_box
from .bank import (BANK_FORMAT, IMAGE_CACHE, FrameBank, ImageCache, FrameRecord, FrameSpec, bank_path, default_cache_dir,
                   load_bank, scene_identity)
from .captured import Captured, CapturedConfig
from .object_views import ObjectViews, SamplerConfig
from .samplers import Shot, Walkthrough, WalkthroughConfig, get_sampler, register_sampler

__all__ = ["BANK_FORMAT", "IMAGE_CACHE", "Captured", "CapturedConfig", "FrameAnnotator", "FrameBank", "FrameRecord",
           "FrameSpec", "ImageCache", "ObjectAnnotation", "ObjectViews", "SamplerConfig", "Shot", "Walkthrough",
           "WalkthroughConfig", "bank_path", "default_cache_dir", "get_sampler", "load_bank", "loose_box", "mask_box", "projected_box",
           "register_sampler", "scene_identity"]
