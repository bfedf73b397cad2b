"""Documentation generators (`make docs`): diagram.py, policy_doc.py, library_doc.py, sharing markers.py."""
