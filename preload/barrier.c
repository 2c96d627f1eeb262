/* barrier interception: to be written (owner: sync helper). */
