"""The notebook faces: the %mlops magics and the ipywidgets wizard (in-process, no server needed)."""
