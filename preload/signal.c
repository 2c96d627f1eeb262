/* signal interception: to be written (owner: process helper). */
