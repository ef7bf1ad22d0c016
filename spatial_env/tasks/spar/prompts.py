"""SPAR question templates (spar-7m.txt §3.1 "Multi-tasks generation", §7.6 examples).

The paper fills human-written, GPT-expanded templates in three forms: select (multiple choice),
fill (one value) and sentence. SPAR-Bench asks select questions for multiple-choice tasks and fill
questions for numeric ones, so those are the forms written here, several per task, in the wording
of §7.6's examples. ``{A}``, ``{B}``, ``{C}`` are replaced by the marked objects ("the chair (red
point)"); every template is followed by §7.6's "Calculate or judge ..." line and the answer-format line.
"""

from __future__ import annotations

CENTER = "Calculate or judge based on the 3D center points of these objects."
ONE_NUMBER = ("Ensure your answer contains only one number.",
              "Answer with a single number in meters.",
              "Your answer should be one number, in meters.")
MAIN_VIEW = ("The first image is the main viewpoint: depths, distances and directions are measured "
             "from its camera.")
RELATION_OPTIONS = ("The options describe the relationship in terms of left-right (left, right, or empty if "
                    "indistinguishable), above-below (above, below, or empty if indistinguishable) and "
                    "front-behind (front, behind, or empty if indistinguishable).")


def select_line(n: int) -> str:
    """The multiple-choice answer instruction for ``n`` options."""
    letters = [chr(65 + i) for i in range(n)]
    listed = ", ".join(letters[:-1]) + " or " + letters[-1]
    return f"Select the correct option. Your answer can only include one of options {listed}."


def options_text(options: list[str]) -> str:
    """Options written as §7.6 writes them: ``A. x; B. y; ...``."""
    return "; ".join(f"{chr(65 + i)}. {o}" for i, o in enumerate(options)) + "."


TEMPLATES: dict[str, tuple[str, ...]] = {
    "Depth-OC": (
        "What is the depth of {A}, measured along the camera's viewing direction?",
        "How deep in the scene is {A}, as seen from the camera (depth along the viewing axis, in meters)?",
        "Estimate the depth of {A} in the camera coordinate system.",
    ),
    "Depth-OC-MV": (
        "{A} is located at a depth of {ref} meters. Estimate the depth of {B}.",
        "Given that {A} is at a depth of {ref} meters in the camera coordinate system, how deep is {B}?",
        "Taking {A} at a depth of {ref} meters as a reference, what is the depth of {B}?",
    ),
    "Depth-OO": (
        "What is the difference in depth between {A} and {B}?",
        "How much do the depths of {A} and {B} differ, along the camera's viewing direction?",
        "Estimate the depth gap between {A} and {B} in the camera coordinate system.",
    ),
    "Dist-OC": (
        "How far is {A} from the camera?",
        "What is the distance between the camera and {A}?",
        "Estimate the distance from the observer to {A}.",
    ),
    "Dist-OO": (
        "What is the distance between {A} and {B}?",
        "How far apart are {A} and {B}?",
        "Estimate the distance separating {A} from {B}.",
    ),
    "DistI-OO": (
        "Which object is {closer} {A}: {B} or {C}?",
        "Between {B} and {C}, which one lies {closer} {A}?",
        "Compare {B} and {C}: which is {closer} {A}?",
    ),
    "ObjRel-OC": (
        "Where is {A} relative to the observer?",
        "What is the direction of {A} relative to the observer's viewpoint?",
        "Describe the position of {A} with respect to the observer.",
    ),
    "ObjRel-OO": (
        "Where is {A} relative to {B}, from the observer's viewpoint?",
        "What is the spatial relationship of {A} to {B}, as the observer sees it?",
        "Describe where {A} lies with respect to {B} from the observer's perspective.",
    ),
    "SpImag-OC": (
        "The observer moves to the 3D center of {A} and faces {B}. Where is {C} relative to the observer then?",
        "Imagine standing at the center of {A}, looking toward {B}. In which direction is {C}?",
        "After the observer shifts to the center of {A} and turns to face {B}, where does {C} lie relative "
        "to the observer?",
    ),
    "SpImag-OO": (
        "The observer moves to the 3D center of {A} and faces {B}. Where is {C} relative to {B} then?",
        "Imagine standing at the center of {A}, looking toward {B}. Where is {C} with respect to {B}?",
        "After the observer shifts to the center of {A} and turns to face {B}, how is {C} positioned "
        "relative to {B}?",
    ),
    "PosMatch": (
        "The {name} in image 1 has the bounding box {box} (x_min, y_min, x_max, y_max, 0-1000). Where is the "
        "same {name} in image 2?",
        "Image 1 shows the {name} within the box {box} (x_min, y_min, x_max, y_max, normalized to 0-1000). "
        "Which box locates it in image 2?",
        "Given the {name} at {box} in image 1 (0-1000 coordinates), find its bounding box in image 2.",
    ),
    "CamMotion": (
        "Where would the observer of image 2 be seen in image 1's space? Give the image-plane coordinates "
        "(0-1000) and the depth in meters.",
        "Estimate the image-plane location (0-1000) and depth in meters of the second image's camera as it "
        "appears in the first image.",
        "If the camera of image 2 were visible in image 1, at which image coordinates (0-1000) and depth "
        "(meters) would it be?",
    ),
    "ViewChgI": (
        "If starting from the first image, how would the observer's camera need to move to recreate the "
        "second image?",
        "What camera movement and rotation take the view of the first image to the view of the second?",
        "How must the camera move and turn to go from the first image to the second one?",
    ),
}

VIEW_CHANGE_FORMAT = ("Provide the camera movement and rotation in the following format: move (right or left): "
                      "(meters), move (down or up): (meters), move (forward or back): (meters), rotate (down or up): "
                      "(degrees), rotate (right or left): (degrees). Use commas to separate the parameters and do not "
                      "include any other text. Example: move left: 2.6, move down: 0.1, move forward: 0.2, "
                      "rotate up: 10, rotate left: 0.")
