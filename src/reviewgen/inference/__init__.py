"""Running trained models without torch: the exported ONNX graphs under ``onnxruntime`` and numpy."""
