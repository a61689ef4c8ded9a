"""Quick replies (常用语): per-unit and personal text snippets with placeholders, inserted into the console's note and reply fields."""
