-- An account may also be reached through an external identity provider (OpenID Connect, for
-- DigiD or eHerkenning through a broker later): the provider's issuer and its stable subject
-- for the person, linked to one account. The link is made at the first external login, by the
-- provider's verified e-mail address; after that the subject alone decides.
CREATE TABLE external_identities (
    issuer        TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TIMESTAMP NOT NULL,
    last_login_at TIMESTAMP NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX external_identities_user ON external_identities (user_id);
