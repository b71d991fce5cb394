-- Why a one-time link stopped working, so its page can say so: used, replaced (a newer
-- link was sent), revoked (invite withdrawn, user removed, account disabled) or
-- password_set (a password was set another way). Empty for links ended before this.
ALTER TABLE tokens ADD COLUMN ended TEXT NOT NULL DEFAULT '';
