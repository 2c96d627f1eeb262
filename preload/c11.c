/* c11 interception: to be written (owner: sync helper). */
