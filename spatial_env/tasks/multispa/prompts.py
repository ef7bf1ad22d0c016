"""MultiSPA's prompt and answer templates (multi-spatialmllm.txt §3.2 "Data Format", Listing 4, Figures 6-14).

A question is ``{description} {question}`` and its reference answer one answer template with the value in
backticks (§3.2: "we enclose the answer in backticks"). Templates are the paper's, verbatim, wherever
its Listing 4 or its figures show one (several per task where it shows several; the rng picks one).
Ours, in the same style: camera translation distance / vector (Figure 11's text is not in our copy),
the depth comparison's second direction (Figure 6 shows "more remote" by coordinates and "shorter
distance" by dots; both variants ask both ways) and Figure 6's lost word ("perform depth estimation").

``prompt_style="paper"`` adds one line naming the answer format (the paper's zero-shot baselines got
"additional prompts" and GPT-4 post-processing, §4.1); ``"paper_strict"`` adds nothing.
"""

from __future__ import annotations

import numpy as np

#: Eq. (1)'s coordinates as the paper's prompts explain them (Figures 6, 13, 14).
COORD_NOTE = ("The coordinates [x, y] are normalized to 0-1 and scaled by 1000, with [0, 0] at the top-left corner. "
              "The x-axis represents the width, and the y-axis represents the height.")

TWO_IMAGES = "Image-1 is the first image and Image-2 the second."

# ---- depth (Listing 4, Figure 6) --------------------------------------------------------------------

DEPTH_VALUE_DOT = {
    "descriptions": ["Given an image with an annotated point, complete the question-answer task.",
                     "For the image with a noted point, ascertain the depth-related answers."],
    "questions": ["What is the depth of the annotated point in the image (in mm)?",
                  "Identify the depth value for the annotated point in millimeters."],
    "answers": ["The depth of the annotated point is `{value}` mm.",
                "The depth value of the marked point is `{value}` mm."],
}
DEPTH_VALUE_COORD = {
    # Figure 6 prints "perform." (a word lost); "perform depth estimation." restores it.
    "descriptions": ["Given an image and a specific point's 2D coordinates, perform depth estimation. "
                     "The coordinates [x, y] are normalized to 0-1 and then scaled by 1000, with [0, 0] starting at "
                     "the top-left. The x-axis represents the width, and the y-axis represents the height."],
    "questions": ["What is the depth at point [{x}, {y}] in the image (in mm)?"],
    "answers": ["Measured depth of this point is `{value}` mm."],
}
DEPTH_COMPARISON_COORD = {
    "descriptions": ["Given an image with two points specified by their coordinates, determine which point is closer "
                     "to or farther from the camera. " + COORD_NOTE],
    "questions": {"farther": ["Which of these coordinates is more remote: [{x1}, {y1}] or [{x2}, {y2}]?"],
                  "closer": ["Which of these coordinates is nearer to the camera: [{x1}, {y1}] or [{x2}, {y2}]?"]},
    "answers": {"farther": ["The point at `{value}` has the longer distance to the camera."],
                "closer": ["The point at `{value}` has the shorter distance to the camera."]},
}
DEPTH_COMPARISON_DOT = {
    "descriptions": ["Examine the image with two annotated points and decide which point is positioned closer to the "
                     "camera and which one is positioned farther from it."],
    "questions": {"closer": ["Can you identify which annotated point has the shorter distance to the camera?"],
                  "farther": ["Can you identify which annotated point has the longer distance to the camera?"]},
    "answers": {"closer": ["The annotation `{value}` marks the closer point."],
                "farther": ["The annotation `{value}` marks the farther point."]},
}

# ---- visual correspondence (Listing 4, Figure 7) -----------------------------------------------------

CORRESPONDENCE_MCQ = {
    "descriptions": ["Given these two images, find the corresponding points between them.",
                     "Determine the corresponding points between these images."],
    "questions": ["Which point labeled A, B, C, or D in Image-2 corresponds to the circle point in Image-1? "
                  "Please answer with the correct label from Image-2."],
    "answers": ["The correct point is labeled `{value}`.", "The correct point in Image-2 is `{value}`."],
}
CORRESPONDENCE_COORD = {
    "descriptions": ["Identify equivalent point positions between images. The [x, y] coordinates are normalized to 0-1 "
                     "and scaled by 1000, with [0, 0] at top-left. Width follows x-axis, height follows y-axis."],
    "questions": ["Find the matching position in Image-2 for point [{x}, {y}] from Image-1."],
    "answers": ["The point has moved to `{value}` in Image-2."],
}

# ---- camera movement (Figures 8-10; distance and vector ours) -------------------------------------------

_STATIC = (" The movement should be relative to the first image. Note that the objects in the images are assumed "
           "to be static.")
CAMERA_DESCRIPTIONS = [
    "Observe and describe the camera's motion from one image to the other." + _STATIC,
    "Compare these images to infer the camera's motion." + _STATIC,
    "Determine the change in camera viewpoint across these two images." + _STATIC,
    "Examine how the camera shifted its position/orientation between these shots." + _STATIC,
]
CAMERA = {
    "camera_translation_x": {
        "questions": ["Between these two frames, is the camera more to the left or to the right now?"],
        "answers": ["It shows a noticeable move `{value}` along the horizontal axis."]},
    "camera_translation_y": {
        "questions": ["Is the camera vantage now elevated or depressed relative to its old vantage?"],
        "answers": ["It exhibits a noticeable move `{value}` along the vertical axis."]},
    "camera_translation_z": {
        "questions": ["If we consider the vantage, is it pushing in or pulling away from the center of the view?"],
        "answers": ["The camera moved `{value}` in depth."]},
    "camera_yaw_direction": {
        "questions": ["Yaw is an angle describing the camera's rotation left or right around vertical. Please tell me "
                      "if it pivoted left or pivoted right?"],
        "answers": ["We confirm the camera has undergone a `{value}` yaw rotation."]},
    "camera_pitch_direction": {
        "questions": ["By pitch angle, we refer to the camera's up-down rotation relative to the ground. Are we seeing "
                      "an upward tilt or a downward tilt?"],
        "answers": ["It shows a notable pitch rotation of `{value}`."]},
    "camera_yaw_degree": {
        "questions": ["How many degrees does the camera revolve side-to-side from its original orientation?"],
        "answers": ["The camera's left-right rotation measures about `{value}` degrees."]},
    "camera_pitch_degree": {
        "questions": ["Pitch is the angle capturing up-down spin. Could you share the camera's pitch rotation in "
                      "degrees?"],
        "answers": ["Observations indicate a pitch rotation of `{value}` degrees."]},
    # ours: Figure 11's text is not in our copy of the paper
    "camera_translation_distance": {
        "questions": ["How far did the camera travel between the two shots (in mm)?",
                      "What is the total distance the camera moved between these two images, in millimeters?"],
        "answers": ["The camera moved a total of `{value}` mm.", "The camera's translation distance is `{value}` mm."]},
    "camera_translation_vector": {
        "questions": ["Given X=right, Y=down, Z=forward in the first image's camera frame, what is the camera's "
                      "displacement vector [x, y, z] in mm?"],
        "answers": ["The camera's displacement vector is `{value}` mm."]},
}

# ---- object movement (Listing 4, Figures 13-14) ---------------------------------------------------------

OBJECT_DESCRIPTIONS = [
    "Given two images, analyze the movements of objects in the images and the cameras that captured them. The "
    "movement should be relative to the first image. Note that the objects in the images and the camera may or may "
    "not have moved.",
    "Evaluate these two images to determine how objects and camera positioning have changed, using the first image "
    "as baseline. Be aware that motion may affect either, both, or neither.",
    "Investigate the movement patterns in these two images, considering both object and camera motion relative to "
    "the first frame. Note that changes could affect either, both, or neither.",
    "Map the positional changes between these two images, considering both object and camera movement from their "
    "initial state. Either, both, or neither may have shifted.",
    "Identify any spatial changes between these two images, examining both object and camera motion from their "
    "initial positions. Remember that movement isn't required.",
    "Study these two images and identify any changes in position of objects or camera, using the first image as "
    "reference. Both elements may or may not show movement.",
    "Compare these two images and describe how objects and the camera have moved relative to their positions in the "
    "first image. Keep in mind that either or both may have changed position.",
    "Analyze the positional shifts between these two frames, tracking both object and camera movement relative to "
    "the first image. Note that either or neither might have moved.",
]
OBJECT = {
    ("distance", "coord"): {
        "questions": [
            "How far did the point at [{x}, {y}] in Image-1 travel between the two shots? " + COORD_NOTE,
            "Could you give me the magnitude of the point's displacement from [{x}, {y}] in Image-1? " + COORD_NOTE,
            "Please specify the total movement distance of the point at [{x}, {y}] in Image-1. " + COORD_NOTE],
        "answers": ["The point traveled a total of `{value}` mm.",
                    "The total movement of the point measures `{value}` mm.",
                    "The total distance covered by the point is `{value}` mm."]},
    ("distance", "dot"): {
        "questions": ["Could you measure the total displacement for the annotated point in Image-1's movement?",
                      "I'm interested in the point-to-point distance of the annotated point in Image-1's shift."],
        "answers": ["The point's total displacement measures `{value}` mm.",
                    "The measured distance of the point's movement is `{value}` mm."]},
    ("vector", "coord"): {
        "questions": [
            "Given X=right, Y=down, Z=forward, I'd like you to list the point at [{x}, {y}] in Image-1's total "
            "displacement vector [x, y, z] in mm. " + COORD_NOTE,
            "Remember X->right, Y->down, Z->forward. Please give me the exact displacement as [x, y, z] in mm "
            "for the point at [{x}, {y}] in Image-1. " + COORD_NOTE],
        "answers": ["We have `{value}` mm as the shift.",
                    "The point's spatial transformation vector is `{value}` mm."]},
    ("vector", "dot"): {
        "questions": [
            "Between these images, using X=right, Y=down, Z=forward, what's the vector that the annotated point "
            "in Image-1 traveled in mm?",
            "The first image is oriented such that positive X is right, Y is down, and Z is forward. Could you "
            "provide the annotated point in Image-1's movement vector in 3D coordinates?"],
        "answers": ["The point's positional change vector is `{value}` mm.", "The overall shift is `{value}` mm."]},
}

# ---- object size (Listing 4) ----------------------------------------------------------------------------

SIZE = {
    "descriptions": ["Assume the scene remains unchanged. Your task is to determine the spatial properties based on "
                     "the images. You need to integrate and analyze information from all provided images to get the "
                     "answer."],
    "questions": ["What is the {dimension} (in millimeters) of the {object_category} itself commonly visible in these "
                  "images?"],
    "answers": ["The {dimension} is approximately `{value}` millimeters."],
}

# ---- the answer-format line of prompt_style="paper" -------------------------------------------------------

FORMAT_LINES = {
    "label": "Write the label ({options}) in backticks.",
    "word": "Write the answer, {options}, in backticks.",
    "mm": "Write the number of millimeters (an integer) in backticks.",
    "deg": "Write the number of degrees (an integer) in backticks.",
    "point": "Write the coordinates in backticks as `[x, y]` (0-1000).",
    "choose_point": "Write the chosen point's coordinates in backticks as `[x, y]`.",
    "vector": "Write the vector in backticks as `[x, y, z]` in millimeters.",
}


def pick(rng: np.random.Generator, options: list[str]) -> str:
    """One template, chosen with the env's rng."""
    return options[int(rng.integers(len(options)))]


def point_text(point) -> str:
    """A 0-1000 point as the templates write it: ``[x, y]``."""
    return "[%d, %d]" % tuple(int(v) for v in point)


def vector_text(vector) -> str:
    """A millimetre vector as the answers write it: ``[x, y, z]``."""
    return "[" + ", ".join("%d" % int(v) for v in vector) + "]"


def compose(description: str, question: str, *, style: str, format_line: str, two_images: bool) -> str:
    """The prompt: ``{description} {question}`` (§3.2), plus under ``style="paper"`` which image is which
    and the answer-format line."""
    text = f"{description} {question}"
    if style == "paper_strict":
        return text
    head = TWO_IMAGES + " " if two_images else ""
    return f"{head}{text} {format_line}"
