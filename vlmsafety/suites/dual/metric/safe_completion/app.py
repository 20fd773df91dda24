import evaluate
from evaluate.utils import launch_gradio_widget

if __name__ == "__main__":  # the Space runs this file; importing it (tests, tools) does nothing
    launch_gradio_widget(evaluate.load("safe_completion"))
