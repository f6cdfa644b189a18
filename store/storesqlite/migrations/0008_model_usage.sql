-- What each user's runs used of language models, by month ("2006-01") and model.
CREATE TABLE model_usage (
    owner         TEXT NOT NULL,
    month         TEXT NOT NULL,
    model         TEXT NOT NULL,
    calls         INTEGER NOT NULL,
    input_tokens  INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd      REAL NOT NULL,
    PRIMARY KEY (owner, month, model)
) WITHOUT ROWID;
