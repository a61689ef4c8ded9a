"""Grid governance (一格共治): grid workers, managed objects, grid items, merged patrols, ledgers."""
