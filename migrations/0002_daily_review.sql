-- The daily review's progress: which items each person marked reviewed on which day.
CREATE TABLE review_marks (
    actor TEXT NOT NULL,
    day   TEXT NOT NULL,
    item  TEXT NOT NULL,
    at    INTEGER NOT NULL,
    PRIMARY KEY (actor, day, item)
) WITHOUT ROWID;
