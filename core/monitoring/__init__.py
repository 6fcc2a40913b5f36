"""Monitoring views: reliability of the classification models and the CF simulation's drift,
retraining and beyond-accuracy trends, as plain tables and Plotly figures (no Streamlit here)."""
