"""NET Outcomes Explorer: the Streamlit entry point (`streamlit run app.py`).

The pages and the shell (login gate, navigation, database guard) are in pages/_shell.py.
"""

from pages._shell import main

main()
