"""Home: what the active catalog is and where to go next."""
import streamlit as st

from pages import cached

catalog = cached.active_catalog()
st.title("🎬 Marquee")
st.caption("Film analytics and recommendation workbench")
if catalog.synthetic:
    st.warning("You are looking at **synthetic demo data** generated on this machine, not real films. "
               "Import real data with `python -m core import …` or the Download page.", icon="🧪")

counts = catalog.manifest.get("row_counts", {})
columns = st.columns(4)
for column, (label, key) in zip(columns, [("Films", "movies"), ("People", "people"), ("Credits", "credits"), ("Ratings", "ratings")]):
    column.metric(label, f"{counts.get(key, 0):,}")

st.subheader(f"Catalog `{catalog.name}`")
st.write(f"Source: **{catalog.manifest.get('source', '?')}** · built {catalog.manifest.get('created_at', '?')} · "
         f"data checksum `{catalog.data_checksum[:12]}`")
report = catalog.manifest.get("report") or {}
if report:
    with st.expander("Import report"):
        st.json(report)
