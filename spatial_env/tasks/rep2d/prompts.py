"""Rep2D-BEAT's prompts, verbatim from its Appendix E, and how numbers are written in them."""

from __future__ import annotations

from ... import metrics

_INTRO = ("You are an AI with the ability to analyze a series of images, each representing a different perspective "
          "of a single scene. Your task is to construct a 3D understanding based on these images. ")

# "specfic" is the paper's spelling; the prompts are kept verbatim.
BBOX = _INTRO + (
    "A user will provide you with a set of images and 2D bounding boxes in each image of a single specfic object. "
    "The user will also provide a single image of the scene without a bounding box. Your task is to generate a 2D "
    "bounding box around the same object that can also be seen in this last image. Only output the bounding box "
    "without any other text. So do not give context about the input images or the bounding box. The bounding box is "
    "normalized to the image resolution, and the origin is the top left. For example the bottom right corner is "
    "(1000, 1000). The bounding box should be in a json format, exactly like: {'x_min': x_min, 'y_min': y_min, "
    "'x_max': x_max, 'y_max': y_max}. but where the actual values are filled in. ")

EXPOSURE = _INTRO + (
    "A user will provide you with a set of images and percentages that the object in the bounding box is visible in "
    "each image. The user will also provide a single image of the scene without the bounding box for that same "
    "object. Your task is to generate this percentage of visibility of that specific object in the final image. Only "
    "output the percentage as a float without any other text. So do not give context about the input images or the "
    "percentage.")

CAMERA = _INTRO + (
    "A user will provide you with a set of images and 3x1 (x,y,z) vectors that indicate the position of the camera "
    "in the room in each image. The user will also provide a single image of the scene without the corresponding "
    "camera position. Your task is to generate this camera position vector. Only output the camera position vector "
    "without any other text. So do not give context about the input images or the camera translation vector.")

EMPTY_BOX_TEXT = "{'x_min': 0, 'y_min': 0, 'x_max': 0, 'y_max': 0}"

# Lines the default style ("paper") adds to Appendix E and the per-image annotations; "paper_strict" adds none.
NOTE_INVISIBLE = "If the object is not visible in the last image, output " + EMPTY_BOX_TEXT + "."
NOTE_OBJECT = "The object is the {category}. "
NOTE_FRAME = "Positions are (x, y, z) in metres in the room's coordinate frame, z pointing up."
DRAWN = "the object is marked with a green box"
NO_ANNOTATION = "(no annotation)"


def normalise_box(box, width: int, height: int) -> list[int] | None:
    """Pixel box -> integer 0-1000 box (origin top-left) as the prompts write it; None stays None."""
    return None if box is None else list(metrics.box_to_norm1000(box, width, height))


def box_text(box: list[int] | None) -> str:
    """A 0-1000 box in the paper's JSON-like format (the empty box as all zeros)."""
    if box is None:
        return EMPTY_BOX_TEXT
    return "{'x_min': %d, 'y_min': %d, 'x_max': %d, 'y_max': %d}" % tuple(box)


def position_text(position) -> str:
    """A camera position as the prompt writes it: centimetre precision."""
    return "[%.2f, %.2f, %.2f]" % tuple(position)


def percent_text(fraction: float) -> str:
    """A visible fraction as the prompt writes it: a percentage to 0.1."""
    return f"{fraction * 100:.1f}"
