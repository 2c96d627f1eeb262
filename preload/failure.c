/* failure interception: to be written (owner: process helper). */
